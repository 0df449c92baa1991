# The milvus-ingest container image, as `k8s job` runs it (default tag milvus-ingest:<version>):
#
#   docker build -t milvus-ingest:0.1.0 .
#   docker tag milvus-ingest:0.1.0 registry.example.com/milvus-ingest:0.1.0 && docker push ...
#
# Stage 1 builds the release binary with the pinned Cargo.lock; stage 2 is a distroless runtime
# (glibc, libgcc, CA certificates for TLS to S3/GCS/Azure, no shell) running as the unprivileged
# user 65532, which the Job's securityContext (runAsNonRoot) expects. Built-in schemas are compiled
# into the binary; guest plugins are not part of the image.

FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
# C compilers for mimalloc and zstd come with the rust image; nothing else is needed.
COPY Cargo.toml Cargo.lock ./
COPY host ./host
COPY schemas ./schemas
COPY wit ./wit
RUN cargo build --release --locked -p milvus-ingest \
    && cp target/release/milvus-ingest /usr/local/bin/milvus-ingest \
    && /usr/local/bin/milvus-ingest --version

FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /usr/local/bin/milvus-ingest /usr/local/bin/milvus-ingest
USER 65532:65532
# The schema store and any scratch files live under /tmp (an emptyDir in the Job's pods, so the
# root filesystem can stay read-only).
ENV MILVUS_INGEST_HOME=/tmp/milvus-ingest HOME=/tmp
ENTRYPOINT ["/usr/local/bin/milvus-ingest"]
CMD ["--help"]

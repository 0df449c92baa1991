#!/usr/bin/env python3
"""Smoke test for the loopback test services started by scripts/services.sh.

Usage:
    scripts/smoke_services.py [s3] [milvus] [lite25] [lite32]

Without arguments it checks every service whose variables are set, taken from the
environment or, failing that, from $MILVUS_INGEST_SERVICES_DIR/env.sh
(default /tmp/milvus-ingest-services/env.sh). Any python3 can start it: it re-runs
itself with $MI_PYTHON (the tools venv: boto3, pyarrow) and runs the pymilvus
part for each server with that server's own venv ($MI_MILVUS23_PYTHON,
$MI_LITE25_PYTHON, $MI_LITE32_PYTHON), i.e. with a pymilvus that matches it.

Checks:
  s3      put / list / get / delete an object in both buckets (MI_S3_BUCKET, test-bucket)
  milvus  Milvus 2.3.5: collection with an Int64 pk + 8-d float vector, insert 3
          rows, flush, count; then the segment's binlogs must be objects in
          Garage's MI_S3_BUCKET (proves Milvus stores its data in Garage), and a
          bulk import of a Parquet file uploaded to Garage must load 3 rows
  lite25  Milvus Lite 2.5.1: the same collection, insert, count
  lite32  Milvus Lite 3.2.2: the same
Exit status 0 when everything passed.
"""

import json
import os
import shlex
import subprocess
import sys
import time

COLLECTION = "smoke_services"
IMPORT_COLLECTION = "smoke_services_import"
DIM = 8
SERVICES = ("s3", "milvus", "lite25", "lite32")
# service -> (URI variable, python variable, label)
MILVUS_SERVERS = {
    "milvus": ("MI_MILVUS23_URI", "MI_MILVUS23_PYTHON", "Milvus 2.3.5"),
    "lite25": ("MI_LITE25_URI", "MI_LITE25_PYTHON", "Milvus Lite 2.5.1"),
    "lite32": ("MI_LITE32_URI", "MI_LITE32_PYTHON", "Milvus Lite 3.2.2"),
}


# --------------------------------------------------------------------------------
# Worker side: runs inside a server's venv, only needs pymilvus.
# --------------------------------------------------------------------------------

def _schema(pymilvus):
    fields = [
        pymilvus.FieldSchema("id", pymilvus.DataType.INT64, is_primary=True),
        pymilvus.FieldSchema("vec", pymilvus.DataType.FLOAT_VECTOR, dim=DIM),
    ]
    return pymilvus.CollectionSchema(fields, description="scripts/smoke_services.py")


def _count(coll):
    coll.create_index("vec", {"index_type": "FLAT", "metric_type": "L2", "params": {}})
    coll.load()
    res = coll.query(expr="", output_fields=["count(*)"], consistency_level="Strong")
    return int(res[0]["count(*)"])


def worker(action, uri, arg=None):
    import warnings

    warnings.filterwarnings("ignore")
    import pymilvus
    from pymilvus import Collection, connections, utility

    out = {"pymilvus": pymilvus.__version__}
    connections.connect(uri=uri, timeout=10)
    try:
        out["server_version"] = utility.get_server_version()
    except Exception as exc:  # Milvus Lite 2.5.1 does not implement GetVersion
        out["server_version"] = f"n/a ({type(exc).__name__})"

    if action == "basic":
        if utility.has_collection(COLLECTION):
            utility.drop_collection(COLLECTION)
        coll = Collection(COLLECTION, _schema(pymilvus), consistency_level="Strong")
        rows = [[1, 2, 3], [[float(i + j) / 10 for j in range(DIM)] for i in range(3)]]
        res = coll.insert(rows)
        out["inserted"] = res.insert_count
        coll.flush()
        out["collection_id"] = coll.describe().get("collection_id")
        out["count"] = _count(coll)
        out["collections"] = utility.list_collections()
    elif action == "import":
        # arg: object key in the Milvus bucket
        if utility.has_collection(IMPORT_COLLECTION):
            utility.drop_collection(IMPORT_COLLECTION)
        coll = Collection(IMPORT_COLLECTION, _schema(pymilvus), consistency_level="Strong")
        task = utility.do_bulk_insert(collection_name=IMPORT_COLLECTION, files=[arg])
        deadline = time.time() + 120
        while True:
            state = utility.get_bulk_insert_state(task_id=task)
            if state.state_name in ("Completed", "Failed", "Failed and cleaned"):
                break
            if time.time() > deadline:
                raise TimeoutError(f"bulk insert task {task} still {state.state_name}")
            time.sleep(1)
        out["import_state"] = state.state_name
        if state.state_name != "Completed":
            out["import_error"] = state.infos.get("failed_reason", str(state))
        else:
            out["count"] = _count(coll)
    elif action == "drop":
        for name in (COLLECTION, IMPORT_COLLECTION):
            if utility.has_collection(name):
                utility.drop_collection(name)
        out["collections"] = utility.list_collections()
    else:
        raise SystemExit(f"unknown worker action {action}")
    print(json.dumps(out, default=str))


# --------------------------------------------------------------------------------
# Driver side: runs with MI_PYTHON (boto3, pyarrow).
# --------------------------------------------------------------------------------

def load_env():
    """Fill os.environ with the MI_* variables of env.sh if they are not set."""
    if os.environ.get("MI_PYTHON"):
        return
    state = os.environ.get("MILVUS_INGEST_SERVICES_DIR", "/tmp/milvus-ingest-services")
    path = os.path.join(state, "env.sh")
    if not os.path.exists(path):
        sys.exit(f"no MI_* variables and no {path}: run scripts/services.sh up first")
    with open(path, encoding="utf-8") as f:
        for line in f:
            parts = shlex.split(line, comments=True)
            if len(parts) == 2 and parts[0] == "export" and "=" in parts[1]:
                key, value = parts[1].split("=", 1)
                os.environ.setdefault(key, value)


class Report:
    def __init__(self):
        self.failures = 0

    def ok(self, what, secs, detail=""):
        print(f"PASS {what:<44} {secs:6.1f}s  {detail}", flush=True)

    def fail(self, what, detail):
        self.failures += 1
        print(f"FAIL {what:<44}         {detail}", flush=True)


def s3_client():
    import boto3
    from botocore.config import Config

    return boto3.client(
        "s3",
        endpoint_url=os.environ["MI_S3_ENDPOINT"],
        aws_access_key_id=os.environ["MI_S3_ACCESS_KEY"],
        aws_secret_access_key=os.environ["MI_S3_SECRET_KEY"],
        region_name=os.environ["MI_S3_REGION"],
        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 2}),
    )


def run_worker(service, action, arg=None):
    uri_var, py_var, _ = MILVUS_SERVERS[service]
    cmd = [os.environ[py_var], os.path.abspath(__file__), "--worker", action, os.environ[uri_var]]
    if arg is not None:
        cmd.append(arg)
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    if proc.returncode != 0:
        tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-8:])
        raise RuntimeError(f"worker {action} failed:\n{tail}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def check_s3(rep):
    t0 = time.time()
    try:
        s3 = s3_client()
        buckets = {b["Name"] for b in s3.list_buckets()["Buckets"]}
        names = [os.environ["MI_S3_BUCKET"], os.environ.get("MI_S3_TEST_BUCKET", "test-bucket")]
        for bucket in names:
            if bucket not in buckets:
                raise RuntimeError(f"bucket {bucket} missing (have {sorted(buckets)})")
            key, body = "smoke/hello.txt", b"hello from smoke_services.py\n"
            s3.put_object(Bucket=bucket, Key=key, Body=body)
            listed = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix="smoke/").get("Contents", [])]
            if key not in listed:
                raise RuntimeError(f"{key} not listed in {bucket}: {listed}")
            got = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
            if got != body:
                raise RuntimeError(f"read back {got!r}")
            s3.delete_object(Bucket=bucket, Key=key)
        rep.ok("s3: put/list/get/delete in " + ", ".join(names), time.time() - t0,
               os.environ["MI_S3_ENDPOINT"])
    except Exception as exc:
        rep.fail("s3", exc)


def check_basic(rep, service):
    label = MILVUS_SERVERS[service][2]
    t0 = time.time()
    try:
        res = run_worker(service, "basic")
        if res["inserted"] != 3 or res["count"] != 3:
            raise RuntimeError(f"inserted {res['inserted']}, count {res['count']}")
        rep.ok(f"{label}: create, insert 3, count", time.time() - t0,
               f"pymilvus {res['pymilvus']}, server {res['server_version']}")
        return res
    except Exception as exc:
        rep.fail(f"{label}: create, insert 3, count", exc)
        return None


def check_milvus_in_garage(rep, basic):
    """After the flush, the segment's binlogs must be objects in Garage."""
    t0 = time.time()
    what = "Milvus 2.3.5: binlogs stored in Garage"
    try:
        s3 = s3_client()
        bucket = os.environ["MI_S3_BUCKET"]
        prefix = f"files/insert_log/{basic['collection_id']}/"
        keys = []
        deadline = time.time() + 30
        while not keys and time.time() < deadline:
            keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])]
            if not keys:
                time.sleep(1)
        if not keys:
            everything = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]
            raise RuntimeError(f"no objects under {bucket}/{prefix}; bucket has {everything[:10]}")
        rep.ok(what, time.time() - t0, f"{len(keys)} objects under {bucket}/{prefix}")
    except Exception as exc:
        rep.fail(what, exc)


def check_milvus_import(rep):
    """Upload a Parquet file to Garage, bulk-import it into Milvus 2.3.5."""
    import io

    import pyarrow as pa
    import pyarrow.parquet as pq

    t0 = time.time()
    what = "Milvus 2.3.5: bulk import of Parquet in Garage"
    key = "smoke/import.parquet"
    s3 = s3_client()
    bucket = os.environ["MI_S3_BUCKET"]
    try:
        table = pa.table({
            "id": pa.array([11, 12, 13], pa.int64()),
            "vec": pa.array([[float(i)] * DIM for i in range(3)], pa.list_(pa.float32())),
        })
        buf = io.BytesIO()
        pq.write_table(table, buf)
        s3.put_object(Bucket=bucket, Key=key, Body=buf.getvalue())
        res = run_worker("milvus", "import", key)
        if res["import_state"] != "Completed":
            raise RuntimeError(f"import {res['import_state']}: {res.get('import_error')}")
        if res["count"] != 3:
            raise RuntimeError(f"count {res['count']} after import")
        rep.ok(what, time.time() - t0, f"{bucket}/{key} -> 3 rows")
    except Exception as exc:
        rep.fail(what, exc)
    finally:
        try:
            s3.delete_object(Bucket=bucket, Key=key)
        except Exception:
            pass


def cleanup(rep, service):
    try:
        run_worker(service, "drop")
    except Exception as exc:
        rep.fail(f"{MILVUS_SERVERS[service][2]}: drop smoke collections", exc)


def driver(wanted):
    load_env()
    try:
        import boto3  # noqa: F401
        import pyarrow  # noqa: F401
    except ImportError:
        py = os.environ.get("MI_PYTHON")
        # (a venv's bin/python is a symlink to the base interpreter: compare prefixes)
        if not py or os.path.dirname(os.path.dirname(os.path.abspath(py))) == sys.prefix:
            sys.exit("needs boto3 and pyarrow (the tools venv, $MI_PYTHON)")
        os.execv(py, [py, os.path.abspath(__file__), *wanted])

    available = {
        "s3": bool(os.environ.get("MI_S3_ENDPOINT")),
        **{s: bool(os.environ.get(v[0])) for s, v in MILVUS_SERVERS.items()},
    }
    for name in wanted:
        if name not in SERVICES:
            sys.exit(f"unknown service {name} (known: {', '.join(SERVICES)})")
        if not available[name]:
            sys.exit(f"{name} is not up (no variables for it in the environment / env.sh)")
    todo = wanted or [s for s in SERVICES if available[s]]
    if not todo:
        sys.exit("no services are up")

    rep = Report()
    t_all = time.time()
    if "s3" in todo:
        check_s3(rep)
    for service in ("milvus", "lite25", "lite32"):
        if service not in todo:
            continue
        basic = check_basic(rep, service)
        if service == "milvus" and basic is not None:
            if available["s3"]:
                check_milvus_in_garage(rep, basic)
                check_milvus_import(rep)
            else:
                rep.fail("Milvus 2.3.5: Garage checks", "no MI_S3_* variables")
        cleanup(rep, service)
    print(f"{'FAILED' if rep.failures else 'OK'}: {rep.failures} failure(s), {time.time() - t_all:.1f}s")
    return 1 if rep.failures else 0


if __name__ == "__main__":
    if len(sys.argv) >= 4 and sys.argv[1] == "--worker":
        worker(sys.argv[2], sys.argv[3], *(sys.argv[4:5]))
    else:
        sys.exit(driver(sys.argv[1:]))

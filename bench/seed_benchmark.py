#!/usr/bin/env python3
"""Milvus 性能基准测试"""

from pymilvus import MilvusClient
import time
import random
import numpy as np
import statistics

def benchmark_search(uri, collection_name, num_queries=100):
    """搜索性能基准测试"""

    client = MilvusClient(uri=uri)

    print(f"🚀 开始性能测试: {collection_name}")
    print(f"  - 查询次数: {num_queries}")
    print(f"  - 向量维度: 768")

    search_times = []

    for i in range(num_queries):
        # 生成随机查询向量
        query_vector = np.random.random(768).tolist()

        start_time = time.time()

        results = client.search(
            collection_name=collection_name,
            data=[query_vector],
            anns_field="question_embedding",
            limit=10,
            output_fields=["doc_id", "question", "category"]
        )

        search_time = time.time() - start_time
        search_times.append(search_time * 1000)  # 转换为毫秒

        if (i + 1) % 20 == 0:
            print(f"  进度: {i+1}/{num_queries}")

    # 统计结果
    avg_time = statistics.mean(search_times)
    median_time = statistics.median(search_times)
    min_time = min(search_times)
    max_time = max(search_times)
    p95_time = np.percentile(search_times, 95)
    p99_time = np.percentile(search_times, 99)

    print(f"\n📊 搜索性能统计 (ms):")
    print(f"  - 平均响应时间: {avg_time:.2f}")
    print(f"  - 中位数响应时间: {median_time:.2f}")
    print(f"  - 最小响应时间: {min_time:.2f}")
    print(f"  - 最大响应时间: {max_time:.2f}")
    print(f"  - P95 响应时间: {p95_time:.2f}")
    print(f"  - P99 响应时间: {p99_time:.2f}")
    print(f"  - QPS (估算): {1000/avg_time:.1f}")

    client.close()

    return {
        "avg_time_ms": avg_time,
        "qps": 1000/avg_time,
        "p95_time_ms": p95_time,
        "p99_time_ms": p99_time
    }

if __name__ == "__main__":
    import sys
    if len(sys.argv) != 3:
        print("用法: python benchmark.py <milvus_uri> <collection_name>")
        sys.exit(1)

    uri = sys.argv[1]
    collection_name = sys.argv[2]

    benchmark_search(uri, collection_name)

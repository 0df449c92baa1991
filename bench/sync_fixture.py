"""Writes N realistic `episodic_memories` documents (1024-d vectors, Chinese text) as a
mongodump-style .bson file (concatenated BSON documents, `_id` order), with pymongo's bson.

Usage: python sync_fixture.py N OUT.bson SEED
"""
import datetime
import random
import sys

import bson
from bson.objectid import ObjectId

n, out, seed = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
rnd = random.Random(seed)
now = datetime.datetime.now(datetime.timezone.utc)
sentence = "张伟与李娜在线上会议中讨论了新版本的发布计划，并决定推迟发布会。"
with open(out, "wb") as f:
    for i in range(n):
        oid = ObjectId(b"\x69\xd0\x00\x00" + seed.to_bytes(5, "big") + i.to_bytes(3, "big"))
        created = now - datetime.timedelta(seconds=rnd.randrange(0, 30 * 86400))
        doc = {
            "_id": oid,
            "user_id": f"user_{i % 997}",
            "user_name": "张伟",
            "group_id": f"group_{i % 101}",
            "timestamp": created,
            "participants": ["张伟", "李娜"],
            "summary": f"张伟和李娜商定第{i}件事",
            "subject": "产品发布会筹备",
            "episode": f"第{i}次会议：" + sentence * rnd.randrange(1, 8),
            "type": "Conversation",
            "keywords": ["发布会", "测试"],
            "linked_entities": [],
            "memcell_event_id_list": [str(ObjectId())],
            "extend": {"memory_type": "episodic_memory", "ori_event_id": None},
            "vector": [rnd.uniform(-1, 1) for _ in range(1024)],
            "vector_model": "Qwen/Qwen3-Embedding-4B",
            "created_at": created,
            "updated_at": created,
        }
        f.write(bson.encode(doc))

"""Independent reader for the backfill tests: every document of a MongoDB collection, read
with pymongo (not this project's code), as one JSON object {"docs": [...]} in _id order with
the fields backfill touches: id (hex or str), vector (list or null), model, updated_at (epoch
ms or null), has_vector_field.

Usage: python backfill_read_mongo.py URI DATABASE COLLECTION
"""
import json
import sys

from pymongo import MongoClient


def main():
    uri, db, coll = sys.argv[1:4]
    client = MongoClient(uri, serverSelectionTimeoutMS=10000)
    out = []
    for d in client[db][coll].find({}).sort("_id", 1):
        updated = d.get("updated_at")
        out.append({
            "id": str(d["_id"]),
            "has_vector_field": "vector" in d,
            "vector": d.get("vector"),
            "model": d.get("vector_model"),
            "updated_at": int(updated.timestamp() * 1000) if updated is not None else None,
            "episode": d.get("episode"),
        })
    print(json.dumps({"docs": out}, ensure_ascii=False))


main()

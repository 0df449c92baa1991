"""Independent check of a sync checkpoint's change-stream resume token, with pymongo (not this
project's code): resumes the collection's change stream after the token and prints, as one JSON
object, the operation types of the events that follow (up to 3 s of waiting) and their resume
tokens (Extended JSON), or the server's error code and message when it cannot resume.

Usage: python sync_resume_probe.py URI DATABASE COLLECTION TOKEN_EXTJSON
"""
import json
import sys
import time

from bson import json_util
from pymongo import MongoClient
from pymongo.errors import OperationFailure


def main():
    uri, db, coll, token = sys.argv[1:5]
    client = MongoClient(uri, serverSelectionTimeoutMS=10000)
    try:
        stream = client[db][coll].watch(
            resume_after=json_util.loads(token), max_await_time_ms=300
        )
        ops, tokens = [], []
        t0 = time.time()
        while time.time() - t0 < 3 and stream.alive:
            ev = stream.try_next()
            if ev is not None:
                ops.append(ev["operationType"])
                tokens.append(json.loads(json_util.dumps(ev["_id"])))
        print(json.dumps({"ops": ops, "tokens": tokens}))
    except OperationFailure as e:
        print(json.dumps({"code": e.code, "errmsg": (e.details or {}).get("errmsg", str(e))}))


main()

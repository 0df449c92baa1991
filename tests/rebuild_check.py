"""Independent checks for the `rebuild` tests, with pymilvus only (no project code).

    rebuild_check.py URI alias ALIAS COLLECTION          create ALIAS -> COLLECTION
    rebuild_check.py URI cleanup PREFIX                   drop aliases and collections named PREFIX*
    rebuild_check.py URI describe NAME                    {"collections": [...], "aliases": {...}, "indexes": {...}}
    rebuild_check.py URI compare OLD NEW PK [EXPECT]      every row of OLD equals NEW's (vectors element-wise)
    rebuild_check.py URI copyrows COLLECTION PK FROM_PK NEW_PKS_JSON
                                                          insert copies of row FROM_PK under new keys
    rebuild_check.py URI duplicate COLLECTION PK EVERY    plain-insert every EVERY-th row (by key) again,
                                                          so its key has two copies; flushes
    rebuild_check.py URI count NAME                       {"count": count(*)} through NAME (alias or collection)
    rebuild_check.py URI keys NAME PK                     {"count": count(*), "distinct": keys, "duplicates": ...}

EXPECT (JSON): {"dropped": [fields not in NEW], "defaults": {field: value added to every row}}.
Prints one JSON object on stdout.
"""

import json
import sys

from pymilvus import Collection, connections, utility


def rows_of(name, pk):
    c = Collection(name)
    c.load()
    out = {}
    duplicates = 0
    it = c.query_iterator(batch_size=4000, output_fields=["*"])
    while True:
        page = it.next()
        if not page:
            break
        for r in page:
            r = dict(r)
            if r[pk] in out:
                duplicates += 1
            out[r[pk]] = r
    it.close()
    count = c.query(expr="", output_fields=["count(*)"], consistency_level="Strong")[0]["count(*)"]
    return out, count, duplicates


def norm(v):
    # Vectors come back as lists of floats (or bytes for binary vectors); JSON as dicts.
    if isinstance(v, (bytes, bytearray)):
        return list(v)
    if isinstance(v, list) and v and isinstance(v[0], (bytes, bytearray)):
        return [list(x) for x in v]
    return v


def compare(old, new, pk, expect):
    dropped = set(expect.get("dropped", []))
    defaults = expect.get("defaults", {})
    a, a_count, a_dup = rows_of(old, pk)
    b, b_count, b_dup = rows_of(new, pk)
    mismatches = []
    compared = 0
    for k, row in a.items():
        want = {f: norm(v) for f, v in row.items() if f not in dropped}
        for f, v in defaults.items():
            want.setdefault(f, v)
        got = b.get(k)
        if got is None:
            mismatches.append({"pk": k, "problem": "missing from the new collection"})
            continue
        got = {f: norm(v) for f, v in got.items()}
        compared += 1
        if want != got:
            diff = sorted(set(want) ^ set(got)) + [f for f in want if f in got and want[f] != got[f]]
            mismatches.append({"pk": k, "fields": diff[:5]})
    extra = [k for k in b if k not in a]
    return {
        "old_rows": len(a),
        "new_rows": len(b),
        "old_count": a_count,
        "new_count": b_count,
        "old_duplicates": a_dup,
        "new_duplicates": b_dup,
        "compared": compared,
        "mismatches": len(mismatches),
        "extra": len(extra),
        "examples": [str(m) for m in mismatches[:5]],
    }


def main():
    uri, cmd, *args = sys.argv[1:]
    connections.connect(uri=uri)
    if cmd == "alias":
        utility.create_alias(args[1], args[0])
        out = {"ok": True}
    elif cmd == "cleanup":
        prefix = args[0]
        names = [c for c in utility.list_collections() if c.startswith(prefix)]
        for c in names:
            for a in utility.list_aliases(c):
                utility.drop_alias(a)
        for c in names:
            utility.drop_collection(c)
        out = {"dropped": names}
    elif cmd == "describe":
        prefix = args[0]
        names = sorted(c for c in utility.list_collections() if c.startswith(prefix))
        aliases = {}
        indexes = {}
        for c in names:
            for a in utility.list_aliases(c):
                aliases[a] = c
            indexes[c] = {i.field_name: i.params for i in Collection(c).indexes}
        out = {"collections": names, "aliases": aliases, "indexes": indexes}
    elif cmd == "compare":
        expect = json.loads(args[3]) if len(args) > 3 else {}
        out = compare(args[0], args[1], args[2], expect)
    elif cmd == "copyrows":
        name, pk, from_pk, new_pks = args[0], args[1], json.loads(args[2]), json.loads(args[3])
        c = Collection(name)
        c.load()
        src = c.query(expr=f"{pk} == {json.dumps(from_pk)}", output_fields=["*"])[0]
        rows = []
        for k in new_pks:
            r = dict(src)
            r[pk] = k
            rows.append(r)
        c.insert(rows)
        out = {"inserted": len(rows)}
    elif cmd == "duplicate":
        name, pk, every = args[0], args[1], int(args[2])
        c = Collection(name)
        c.load()
        rows, _, _ = rows_of(name, pk)
        again = [rows[k] for k in sorted(rows)[::every]]
        for i in range(0, len(again), 1000):
            c.insert([dict(r) for r in again[i : i + 1000]])
        c.flush()
        out = {"inserted": len(again)}
    elif cmd == "count":
        c = Collection(args[0])
        out = {"count": c.query(expr="", output_fields=["count(*)"], consistency_level="Strong")[0]["count(*)"]}
    elif cmd == "keys":
        name, pk = args[0], args[1]
        rows, count, duplicates = rows_of(name, pk)
        out = {"count": count, "distinct": len(rows), "duplicates": duplicates}
    else:
        raise SystemExit(f"unknown command {cmd}")
    print(json.dumps(out, default=str))


if __name__ == "__main__":
    main()

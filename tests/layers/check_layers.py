#!/usr/bin/python3
"""Checks the includes of server/ against server/LAYERS: each "#include "folder/..." of a file
under server/FOLDER/ must name FOLDER itself or a folder its row allows; every folder under
server/ has a row and every row a folder; no row allows what a "never" line forbids. Prints
each break as FILE:LINE: message and exits 1 when there is one.

usage: check_layers.py [ROOT]   (ROOT: the repository, by default the one holding this file)"""
import os
import re
import sys

INCLUDE = re.compile(r'^\s*#\s*include\s+"([a-z_][a-z0-9_]*)/')


def read_table(path):
    """returns (rows: folder -> (allowed set, line), nevers: [(folders, forbidden, line)], errors)"""
    rows, nevers, errors = {}, [], []
    with open(path, encoding="utf-8") as f:
        for number, text in enumerate(f, 1):
            text = text.split("#", 1)[0].strip()
            if not text:
                continue
            where = f"{path}:{number}"
            if ":" not in text:
                errors.append(f"{where}: expected 'folder: folders it may include'")
                continue
            left, right = (part.split() for part in text.split(":", 1))
            if left and left[0] == "never":
                if len(left) < 2 or not right:
                    errors.append(f"{where}: expected 'never FOLDERS: FOLDERS'")
                else:
                    nevers.append((left[1:], set(right), number))
            elif len(left) != 1:
                errors.append(f"{where}: expected one folder before ':'")
            elif left[0] in rows:
                errors.append(f"{where}: {left[0]} has a row already (line {rows[left[0]][1]})")
            else:
                rows[left[0]] = (set(right), number)
    return rows, nevers, errors


def check(root):
    server = os.path.join(root, "server")
    table = os.path.join(server, "LAYERS")
    rel_table = os.path.relpath(table, root)
    rows, nevers, errors = read_table(table)
    errors = [e.replace(table, rel_table, 1) for e in errors]
    folders = sorted(d for d in os.listdir(server) if os.path.isdir(os.path.join(server, d)))
    for folder in folders:
        if folder not in rows:
            errors.append(f"{rel_table}: server/{folder}/ has no row: add '{folder}: ...'")
    for folder, (allowed, number) in rows.items():
        if folder not in folders:
            errors.append(f"{rel_table}:{number}: {folder} names no folder under server/")
        for other in sorted(allowed - set(folders)):
            errors.append(f"{rel_table}:{number}: {folder} may include {other}, which names no "
                          "folder under server/")
    for who, forbidden, number in nevers:
        for folder in (folders if who == ["*"] else who):
            if folder not in rows:
                continue
            allowed, row = rows[folder]
            broken = allowed if "*" in forbidden else allowed & forbidden
            for other in sorted(broken - {folder}):
                errors.append(f"{rel_table}:{row}: {folder} may never include {other} "
                              f"(line {number})")
    for folder in folders:
        allowed = rows.get(folder, (set(), 0))[0] | {folder}
        base = os.path.join(server, folder)
        for directory, _, names in sorted(os.walk(base)):
            for name in sorted(names):
                if not name.endswith((".c", ".h")):
                    continue
                path = os.path.join(directory, name)
                with open(path, encoding="utf-8", errors="replace") as f:
                    for number, text in enumerate(f, 1):
                        m = INCLUDE.match(text)
                        if m and m.group(1) not in allowed:
                            errors.append(f"{os.path.relpath(path, root)}:{number}: {folder} may "
                                          f"not include {m.group(1)}/ (server/LAYERS)")
    return errors


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..")
    errors = check(os.path.abspath(root))
    for e in errors:
        print(e)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())

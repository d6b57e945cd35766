# expected: 0
# about: a program that tries to read source/ and other submissions and to write the gradebook, helpers/, nbgrader_config.py
# %% ch04_task1
%%program ch04_task1.py
import glob, os
for pattern in ("../../../source/*/*.ipynb", "/work/*/source/*/*.ipynb", "/tmp/*/source/*/*.ipynb", "/tmp/**/source/*/*.ipynb"):
    for path in glob.glob(pattern, recursive=True)[:3]:
        try:
            print(open(path).read()[:20000])
        except OSError as exc:
            print("read failed", exc)
for target in ("../../../gradebook.db", "../../../nbgrader_config.py", "/work/main/helpers/__init__.py",
               "../../../helpers/__init__.py", "../../other/ch04/ch04.ipynb"):
    try:
        with open(target, "a") as fh:
            fh.write("# pwned\n")
        print("wrote", target)
    except OSError as exc:
        print("write failed", exc)
import socket
try:
    socket.create_connection(("1.1.1.1", 80), timeout=2)
    print("network ok")
except OSError as exc:
    print("no network", exc)

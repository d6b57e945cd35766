# expected: 0
# about: task 1 answer defines run_task before the %%program line (not just a program cell)
# %% ch04_task1
run_task = lambda *a, **k: None
%%program ch04_task1.py
print("worker 0 start pid=1 parent=1")

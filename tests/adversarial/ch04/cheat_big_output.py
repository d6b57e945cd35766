# expected: 12
# about: the task 3 answer prints 100 lines of 1 MiB each (answers stay right)
# start: reference
# %% ch04_task3
predicted = {
    "fork":       {"first": 105, "MainProcess": 101, "second": 111},
    "spawn":      {"first": 5,   "MainProcess": 101, "second": 10},
    "forkserver": {"first": 5,   "MainProcess": 101, "second": 10},
}
for _ in range(100):
    print("x" * (1 << 20))

# expected: 9
# about: task 3 knows memory is not shared but assumes every start method copies the parent like fork (spawn/forkserver children re-import the module and see counter=0); tasks 1, 2, 4 right
# base: reference
# %% ch04_task3
predicted = {
    "fork":       {"first": 105, "MainProcess": 101, "second": 111},
    "spawn":      {"first": 105, "MainProcess": 101, "second": 111},
    "forkserver": {"first": 105, "MainProcess": 101, "second": 111},
}

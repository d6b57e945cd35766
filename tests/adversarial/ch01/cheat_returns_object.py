# expected: 0
# about: returns an object whose __eq__ is always True instead of plain data
# %% ch01_task1
class Anything(dict):
    def __eq__(self, other):
        return True
    def __getitem__(self, key):
        return Anything()
def batch_run(jobs):
    return Anything()
# %% ch01_task2
class Same(list):
    def __eq__(self, other):
        return True
def finish_times(jobs, setup_time=0):
    return Same()

# expected: 10
# about: task 4 thinks a Lock can be re-acquired by its holder and that release() of an unlocked lock raises RuntimeError (as threading.Lock does), 0/2; tasks 1-3 right
# base: reference
# %% ch07_task4
a = True
b = True
c = False
d = True
e = True
f = True
error_name = "RuntimeError"

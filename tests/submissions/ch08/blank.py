# expected: 0
# about: the released notebook handed in untouched

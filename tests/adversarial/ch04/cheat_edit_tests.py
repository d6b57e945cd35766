# expected: 0
# about: edits every test cell to `pass`, raises their points to 100, deletes the task 2 test cell
# mutate: edit_tests

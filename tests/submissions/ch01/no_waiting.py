# expected: 5
# about: task 2 forgets that a job waits for the ones before it (returns each job's own setup + length) and loses 3; task 3 assumes every job runs as if alone, ignoring the queue for the single CPU, and loses 4; tasks 1 and 4 right
# base: reference
# %% ch01_task2
def finish_times(jobs, setup_time=0):
    return [setup_time + sum(length for _kind, length in job) for job in jobs]
# %% ch01_task3
def multiprogrammed_run(jobs):
    finish = [sum(length for _kind, length in job) for job in jobs]
    total = max(finish)
    busy = sum(length for job in jobs for kind, length in job if kind == "cpu")
    return {"total": total, "idle": max(0, total - busy), "finish": finish}
# %% ch01_task4
ANSWERS = {
    "add_numbers": (False, "own_work"),
    "sort_list": (False, "own_work"),
    "call_function": (False, "own_work"),
    "read_disk": (True, "device"),
    "send_packet": (True, "device"),
    "disable_interrupts": (True, "cpu_control"),
    "set_timer": (True, "cpu_control"),
    "map_memory": (True, "memory_map"),
    "get_pid": (True, "kernel_data"),
    "start_process": (True, "memory_map"),
}

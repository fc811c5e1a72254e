# Sample workspace for IPython Parallel for VS Code.
# Connect to a cluster, then run a cell with "Run Cell on Cluster" above it, or select code and press
# Ctrl+Alt+Enter (Cmd+Alt+Enter on macOS) to run it on every engine.

# %% Where does this run?
import os
import socket

print(f"pid {os.getpid()} on {socket.gethostname()}")

# %% A little arithmetic on every engine
squares = [i * i for i in range(10)]
sum(squares)

# %% A failing run: the traceback comes back as a diagnostic
def divide(a, b):
    return a / b


divide(1, 0)

# %% A long run: abort it from the Tasks view
import time

for step in range(120):
    time.sleep(0.5)
print("finished")

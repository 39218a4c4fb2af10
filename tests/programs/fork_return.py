import os
import sys

pid = os.fork()
if pid == 0:
    print('child falls off the end of the script')
    sys.exit(5)
_, status = os.waitpid(pid, 0)
print('parent reaped code', os.waitstatus_to_exitcode(status))

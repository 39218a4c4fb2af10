import subprocess
import sys

out = subprocess.run([sys.executable, '-c', "print('hi from a subprocess')"],
                     capture_output=True, text=True)
print('child said', out.stdout.strip())

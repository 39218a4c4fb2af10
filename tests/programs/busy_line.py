import time

total = 0
end = time.time() + 1.5
while time.time() < end:
    total += 1
time.sleep(2)
print('done')

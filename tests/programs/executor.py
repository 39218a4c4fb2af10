from concurrent.futures import ProcessPoolExecutor


def cube(x):
    return x ** 3


if __name__ == '__main__':
    with ProcessPoolExecutor(max_workers=2) as ex:
        futures = [ex.submit(cube, i) for i in range(6)]
        total = sum(f.result() for f in futures)
        mapped = list(ex.map(cube, range(4)))
    print('total', total, 'mapped', mapped)

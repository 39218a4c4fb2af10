from multiprocessing import Pool


def square(x):
    return x * x


if __name__ == '__main__':
    with Pool(2) as pool:
        total = sum(pool.map(square, range(1_000_000)))
    print('total', total)

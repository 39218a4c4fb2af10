from multiprocessing import Pool


def square(x):
    return x * x


if __name__ == '__main__':
    with Pool(2) as pool:
        squares = pool.map(square, range(40), chunksize=5)
        one = pool.apply_async(square, (7,)).get()
    print('sum', sum(squares), 'one', one)

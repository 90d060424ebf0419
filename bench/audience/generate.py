#!/usr/bin/python3
"""Writes the benchmark data set: N subscribers (default 1,000,000) as CSV with email, name and
five attributes (city, age, plan, signup date, score), with Spanish and Russian names mixed in.
Usage: generate.py [N] > subscribers.csv"""

import csv
import random
import sys

CITIES = ["Sevilla", "Madrid", "Málaga", "Москва", "Санкт-Петербург", "Lyon", "Porto", "Berlin"]
FIRST = ["Ana", "José", "Lucía", "Иван", "Мария", "Pierre", "João", "Núñez", "Дмитрий", "Chloé"]
PLANS = ["free", "pro", "team", "enterprise"]


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000000
    rng = random.Random(4)  # the same data set every time
    out = csv.writer(sys.stdout, lineterminator="\n")
    out.writerow(["email", "name", "city", "age", "plan", "signup", "score"])
    for i in range(n):
        out.writerow(["user%d@example%d.com" % (i, i % 97), "%s %d" % (rng.choice(FIRST), i),
                      rng.choice(CITIES), rng.randint(18, 90), rng.choice(PLANS),
                      "20%02d-%02d-%02d" % (rng.randint(15, 25), rng.randint(1, 12), rng.randint(1, 28)),
                      round(rng.random() * 100, 2)])


if __name__ == "__main__":
    main()

"""product_pair at scale: 200,000 products, 1,000,000 order lines (250,000 orders of 1-7 lines,
popular products chosen more often), on SQLite with the shop's own tables' shape and SQL
(services.recommendations). Run: python bench/product_pairs.py [path-of-a-scratch-file]."""
import os
import random
import sqlite3
import sys
import time

path = sys.argv[1] if len(sys.argv) > 1 else "/tmp/okmarts-product-pairs.sqlite3"
if os.path.exists(path): os.remove(path)
db=sqlite3.connect(path); db.execute("PRAGMA journal_mode=WAL"); db.execute("PRAGMA synchronous=NORMAL")
db.executescript('''
CREATE TABLE order_line (id INTEGER PRIMARY KEY, "order" INTEGER, product INTEGER);
CREATE INDEX order_line_order ON order_line ("order");
CREATE TABLE product_pair (id INTEGER PRIMARY KEY, product INTEGER, other INTEGER, orders INTEGER NOT NULL DEFAULT 0);
CREATE INDEX product_pair_other ON product_pair (other);
CREATE UNIQUE INDEX product_pair_key ON product_pair (product, other);
CREATE INDEX product_pair_rank ON product_pair (product, orders);
''')
rng=random.Random(1)
P=200_000
# popular products: a skewed choice, so some pairs repeat
def pick(): return int(P * rng.random() ** 3) + 1
lines=0; order=0; rows=[]
while lines < 1_000_000:
    order += 1
    n = rng.randint(1, 7)
    prods = {pick() for _ in range(n)}
    for p in prods: rows.append((order, p))
    lines += len(prods)
db.executemany('INSERT INTO order_line ("order", product) VALUES (?, ?)', rows); db.commit()
def pairs_sql(o, v): return (f'INSERT INTO product_pair (product, other, orders) SELECT a.product, b.product, {v} FROM order_line a JOIN order_line b ON b."order" = a."order" AND b.product <> a.product WHERE a."order" = {o} AND a.product IS NOT NULL AND b.product IS NOT NULL GROUP BY a.product, b.product ORDER BY a.product, b.product ON CONFLICT (product, other) DO UPDATE SET orders = product_pair.orders + 1')
t=time.perf_counter()
for o in range(1, order+1):
    db.execute(pairs_sql(o, 1))
db.commit()
total=time.perf_counter()-t
print(f"orders {order}, lines {lines}, pair rows {db.execute('select count(*) from product_pair').fetchone()[0]}")
print(f"counting every order's pairs: {total:.1f} s, {total/order*1000:.3f} ms per order")
q='SELECT other, orders FROM product_pair WHERE product = ? AND orders >= 2 ORDER BY orders DESC, other LIMIT 8'
print(db.execute("EXPLAIN QUERY PLAN "+q,(1,)).fetchall())
for label, ids in (("popular", range(1, 1001)), ("any", [rng.randint(1,P) for _ in range(1000)])):
    t=time.perf_counter()
    for i in ids: db.execute(q,(i,)).fetchall()
    print(f"partners of a {label} product: {(time.perf_counter()-t):.3f} ms each (1000 lookups)")

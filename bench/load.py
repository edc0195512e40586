"""wrk runs: GETs cycling through URLs (as visitors, or as signed-in shoppers), and adds to cart."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shoppers import Shopper

THREADS = 2

# Each request takes the next URL, and the next shopper's cookies when there are shoppers; an
# add goes to the next of PRODUCTS. done() prints one JSON line (latencies in microseconds),
# sturdier than scraping wrk's table; adds also count 200s and 5xx per thread.
WRK_SCRIPT = """
PATHS = {%(paths)s}
SHOPPERS = {%(shoppers)s}
PRODUCTS = {%(products)s}
MODE = %(mode)s
counter = 0
ok, server_errors = 0, 0
local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("offset", #threads * 5)
end

function init(args)
  counter = offset or 0
end

function request()
  counter = counter + 1
  local headers = {}
  if #SHOPPERS > 0 then
    local shopper = SHOPPERS[counter %% #SHOPPERS + 1]
    headers["Cookie"] = shopper[1]
    if MODE == "add" then
      headers["x-okmarts-csrf"] = shopper[2]
      headers["HX-Request"] = "true"
      headers["Content-Type"] = "application/x-www-form-urlencoded"
      local product = PRODUCTS[math.floor(counter / #SHOPPERS) %% #PRODUCTS + 1]
      return wrk.format("POST", "/cart/lines", headers, "product_id=" .. product .. "&quantity=1")
    end
  end
  return wrk.format("GET", PATHS[counter %% #PATHS + 1], headers)
end

%(response)s

function done(summary, latency, requests)
  local adds, fives = 0, 0
  for _, thread in ipairs(threads) do
    adds = adds + (thread:get("ok") or 0)
    fives = fives + (thread:get("server_errors") or 0)
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%%d,"duration_us":%%d,"p50_us":%%d,"p99_us":%%d,"non_2xx_3xx":%%d,'
    .. '"socket_errors":%%d,"timeouts":%%d,"ok":%%d,"server_errors":%%d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.status, e.connect + e.read + e.write, e.timeout, adds, fives))
end
"""

COUNT_RESPONSES = """
function response(status, headers, body)
  if status == 200 then ok = ok + 1 end
  if status >= 500 then server_errors = server_errors + 1 end
end
"""


@dataclass
class Load:
    paths: list[str] = field(default_factory=list)
    shoppers: list[Shopper] = field(default_factory=list)
    add_products: list[int] = field(default_factory=list)  # set: POST adds instead of GETs


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("Installing wrk with apt-get…", flush=True)
        subprocess.run(["apt-get", "update", "-qq"], check=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True)
        if found := shutil.which("wrk"):
            return found
    sys.exit("wrk is needed: install it (`sudo apt-get install wrk`) and run again.")


def _lua(value: str) -> str:
    return json.dumps(value)  # a JSON string of ASCII is a Lua string literal too


def write_script(load: Load, path: Path) -> None:
    adding = bool(load.add_products)
    path.write_text(
        WRK_SCRIPT
        % {
            "paths": ", ".join(_lua(p) for p in load.paths or ["/"]),
            "shoppers": ", ".join(
                "{%s, %s}" % (_lua(s.cookie), _lua(s.csrf)) for s in load.shoppers
            ),
            "products": ", ".join(str(product) for product in load.add_products),
            "mode": _lua("add" if adding else "get"),
            "response": COUNT_RESPONSES if adding else "",
        }
    )


def run_wrk(
    wrk: str, base: str, load: Load, seconds: float, connections: int, work: Path
) -> dict[str, Any]:
    script = work / "load.lua"
    write_script(load, script)
    command = [
        wrk,
        f"-t{THREADS}",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--timeout",
        "5s",
        "--latency",
        "-s",
        str(script),
        base,
    ]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    line = next(line for line in output.splitlines() if line.startswith("BENCH_JSON "))
    raw = json.loads(line.removeprefix("BENCH_JSON "))
    return {
        "rps": raw["requests"] / (raw["duration_us"] / 1e6),
        "p50_ms": raw["p50_us"] / 1000,
        "p99_ms": raw["p99_us"] / 1000,
        "requests": raw["requests"],
        "non_2xx_3xx": raw["non_2xx_3xx"],
        "socket_errors": raw["socket_errors"],
        "timeouts": raw["timeouts"],
        "answered_ok": raw["ok"],
        "server_errors": raw["server_errors"],
    }

"""An independent Modbus slave for integration tests: pymodbus 3.0 (3.0.0rc1 on Debian), TCP or RTU.

Usage: python3 pymodbus_slave.py '<json spec>'
  spec = {"mode": "tcp", "port": 15020}  or  {"mode": "rtu", "device": "/tmp/pty-b", "baud": 9600}
         + "units": {"1": {"hr": [[address, [words...]], ...], "ir": [...], "co": [[address, [0|1...]]], "di": [...]}}
Addresses are wire (zero-based) addresses. Registers outside the given ranges answer exception 2
(illegal data address); unit ids not listed get no answer at all, as a dead slave on RS-485 would.
Prints "READY" on stdout once it serves.
"""
import asyncio
import json
import logging
import sys

from pymodbus.datastore import ModbusServerContext, ModbusSlaveContext, ModbusSparseDataBlock
from pymodbus.server.async_io import ModbusSerialServer, ModbusTcpServer
from pymodbus.transaction import ModbusRtuFramer, ModbusSocketFramer


def block(ranges):
    values = {}
    for address, words in ranges or []:
        for offset, word in enumerate(words):
            values[address + offset] = word
    # An empty sparse block would accept nothing; keep one unreachable cell so pymodbus stays happy.
    return ModbusSparseDataBlock(values or {0xFFFF: 0})


def build_context(units):
    slaves = {}
    for unit, tables in units.items():
        slaves[int(unit)] = ModbusSlaveContext(
            hr=block(tables.get("hr")),
            ir=block(tables.get("ir")),
            co=block(tables.get("co")),
            di=block(tables.get("di")),
            zero_mode=True,
        )
    return ModbusServerContext(slaves=slaves, single=False)


async def main(spec):
    context = build_context(spec["units"])
    if spec["mode"] == "tcp":
        server = ModbusTcpServer(
            context, framer=ModbusSocketFramer, address=("127.0.0.1", spec["port"]),
            ignore_missing_slaves=True, allow_reuse_address=True,
        )
        task = asyncio.create_task(server.serve_forever())
        await server.serving
    else:
        server = ModbusSerialServer(
            context, framer=ModbusRtuFramer, port=spec["device"], baudrate=spec.get("baud", 9600),
            ignore_missing_slaves=True,
        )
        await server.start()
        task = asyncio.create_task(server.serve_forever())
    print("READY", flush=True)
    await task


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    asyncio.run(main(json.loads(sys.argv[1])))

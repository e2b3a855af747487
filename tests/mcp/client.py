"""An MCP client for tests/mcp.rs, on the official Python SDK (`mcp` from PyPI).

usage: client.py CALLS_JSON COMMAND [ARG...]

Starts COMMAND ARG... as an MCP server on stdio, initialises a session, lists the tools and
calls each of CALLS_JSON's `[[tool, arguments], ...]` in order on that one session, then
prints one JSON document: the server's name and version, the tools (name, description,
input schema) and each call's `is_error` and text contents. Exit status 3 when the `mcp`
package is missing, so the test can tell "skipped" from a failure.
"""

import asyncio
import json
import sys

try:
    from mcp import ClientSession, StdioServerParameters
    from mcp.client.stdio import stdio_client
except ImportError as e:  # the test prints "skipped" unless it must run
    print(f"mcp package missing: {e}", file=sys.stderr)
    sys.exit(3)


async def main(calls, command, args):
    params = StdioServerParameters(command=command, args=args)
    async with stdio_client(params) as streams:
        read, write = streams[0], streams[1]
        async with ClientSession(read, write) as session:
            init = await session.initialize()
            tools = await session.list_tools()
            report = {
                "server": {
                    "name": init.server_info.name,
                    "version": init.server_info.version,
                },
                "instructions": init.instructions,
                "tools": [
                    {
                        "name": t.name,
                        "description": t.description,
                        "input_schema": t.input_schema,
                    }
                    for t in tools.tools
                ],
                "calls": [],
            }
            for name, arguments in calls:
                result = await session.call_tool(name, arguments)
                report["calls"].append(
                    {
                        "name": name,
                        "arguments": arguments,
                        "is_error": bool(result.is_error),
                        "texts": [c.text for c in result.content if c.type == "text"],
                    }
                )
    print(json.dumps(report))


if __name__ == "__main__":
    asyncio.run(main(json.loads(sys.argv[1]), sys.argv[2], sys.argv[3:]))

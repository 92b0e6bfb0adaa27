"""The counter: prints 0 on the first run, then 1, 2, ... — the count lives in data/counter.json.

Run:  python examples/counter.py [DIRECTORY]
"""

import sys

from gitworktree import PydanticArtifact, Worktree, mount


class Counter(PydanticArtifact):
    number: int = 0


class CounterTree(Worktree):
    counter: Counter


def main(directory: str) -> None:
    tree = mount(CounterTree, directory)  # creates counter.json with defaults on first run
    print(tree.counter.number)
    tree.counter.number += 1
    tree.commit("Increment counter")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "data")

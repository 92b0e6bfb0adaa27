"""A LangGraph run that stops for a human and resumes in the next process, in Git.

The first run plans, searches and drafts, then stops before `review`; the second run (a
new process: nothing in memory) resumes from the checkpoint in the repository and
finishes. Every step is a commit: `git log --first-parent -p refs/langgraph/demo/root`.

Run:  python examples/langgraph_research.py [DIRECTORY]
Needs: pip install 'gitworktree[langgraph]'
"""

import operator
import sys
from typing import Annotated, Any, TypedDict

from langgraph.graph import END, START, StateGraph

from gitworktree.langgraph import GitSaver


class Research(TypedDict):
    question: str
    notes: Annotated[list[str], operator.add]
    answer: str


def build(saver: GitSaver) -> Any:
    graph = StateGraph(Research)
    graph.add_node("plan", lambda state: {"notes": [f"plan: look up {state['question']}"]})
    graph.add_node("search", lambda state: {"notes": ["search: found 3 sources"]})
    graph.add_node("draft", lambda state: {"notes": ["draft: written"]})
    graph.add_node("review", lambda state: {"answer": f"{len(state['notes'])} notes reviewed"})
    graph.add_edge(START, "plan")
    graph.add_edge("plan", "search")
    graph.add_edge("plan", "draft")
    graph.add_edge(["search", "draft"], "review")
    graph.add_edge("review", END)
    return graph.compile(checkpointer=saver, interrupt_before=["review"])


def main(directory: str) -> None:
    config = {"configurable": {"thread_id": "demo"}}
    with GitSaver(directory, author="Research agent <agent@example.com>") as saver:
        graph = build(saver)
        waiting = graph.get_state(config).next
        if not waiting:
            graph.invoke({"question": "tides", "notes": []}, config)
            print("paused before", ", ".join(graph.get_state(config).next))
        else:
            print("answer:", graph.invoke(None, config)["answer"])


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "state")

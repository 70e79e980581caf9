"""The LangGraph sales agent: state, nodes, prompts and the LLM client."""

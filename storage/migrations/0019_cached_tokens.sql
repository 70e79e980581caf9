-- Prompt caching (issue 17): how many of a call's prompt tokens the provider served from its cache
-- (OpenAI's usage.prompt_tokens_details.cached_tokens). They are part of tokens_in and cost less; `cost` already
-- counts them at the cached price, this keeps how many there were.
ALTER TABLE llm_traces ADD COLUMN tokens_cached INT NOT NULL DEFAULT 0;
ALTER TABLE llm_usage ADD COLUMN tokens_cached INT NOT NULL DEFAULT 0;

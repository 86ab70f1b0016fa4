"""Copyable client snippets for the Server page and the README: curl, the openai SDK, the anthropic SDK."""

from __future__ import annotations


def snippets(base_url: str, api_key: str, model: str) -> dict[str, str]:
    root = base_url.removesuffix("/v1")
    return {
        "curl": (f"curl {base_url}/chat/completions \\\n"
                 f"  -H \"Authorization: Bearer {api_key}\" -H \"Content-Type: application/json\" \\\n"
                 f"  -d '{{\"model\": \"{model}\", \"messages\": [{{\"role\": \"user\", \"content\": \"Hello\"}}]}}'"),
        "openai": ("from openai import OpenAI\n\n"
                   f"client = OpenAI(base_url=\"{base_url}\", api_key=\"{api_key}\")\n"
                   f"reply = client.chat.completions.create(model=\"{model}\",\n"
                   "    messages=[{\"role\": \"user\", \"content\": \"Hello\"}])\n"
                   "print(reply.choices[0].message.content)"),
        "anthropic": ("import anthropic\n\n"
                      f"client = anthropic.Anthropic(base_url=\"{root}\", api_key=\"{api_key}\")\n"
                      f"message = client.messages.create(model=\"{model}\", max_tokens=256,\n"
                      "    messages=[{\"role\": \"user\", \"content\": \"Hello\"}])\n"
                      "print(message.content[0].text)"),
    }

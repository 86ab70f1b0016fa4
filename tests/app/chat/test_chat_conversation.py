"""Conversation logic without a window: requests, regenerate, edit and resend."""

from __future__ import annotations

import pytest

from app.chat.conversation import COMPLETION, TITLE_MAX_CHARS, ChatConversation, title_from
from runtimes.requests import Image, Sampling


def chat_with_two_turns() -> ChatConversation:
    chat = ChatConversation(system_prompt="Be brief.", sampling=Sampling(temperature=0.2, max_tokens=8))
    chat.add_user("first question")
    chat.begin_reply()
    chat.add_to_reply("first ")
    chat.add_to_reply("answer")
    chat.end_reply({"n_gen": 2, "stop_reason": "length"})
    chat.add_user("second question")
    chat.begin_reply()
    chat.add_to_reply("second answer")
    chat.end_reply({"n_gen": 2, "stop_reason": "length"})
    return chat


def test_request_carries_system_prompt_history_and_a_copy_of_sampling():
    chat = chat_with_two_turns()
    chat.add_user("third")
    request = chat.request()
    assert request.messages == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "first question"},
        {"role": "assistant", "content": "first answer"},
        {"role": "user", "content": "second question"},
        {"role": "assistant", "content": "second answer"},
        {"role": "user", "content": "third"},
    ]
    assert request.sampling == Sampling(temperature=0.2, max_tokens=8)
    request.sampling.temperature = 1.5  # the request is a snapshot, not a view
    assert chat.sampling.temperature == 0.2


def test_a_blank_system_prompt_is_left_out():
    chat = ChatConversation(system_prompt="  \n")
    chat.add_user("hi")
    assert chat.request().messages == [{"role": "user", "content": "hi"}]


def test_request_needs_a_user_message_last():
    chat = chat_with_two_turns()
    with pytest.raises(ValueError):
        chat.request()
    with pytest.raises(ValueError):
        ChatConversation().request()


def test_regenerate_replaces_only_the_last_reply():
    chat = chat_with_two_turns()
    request = chat.regenerate()
    assert [m.content for m in chat.messages] == ["first question", "first answer", "second question"]
    assert request.messages[-1] == {"role": "user", "content": "second question"}
    assert chat.can_regenerate


def test_edit_and_resend_drops_everything_after_the_edited_message():
    chat = chat_with_two_turns()
    request = chat.edit_and_resend(0, "better question")
    assert [(m.role, m.content) for m in chat.messages] == [("user", "better question")]
    assert request.messages[-1] == {"role": "user", "content": "better question"}


@pytest.mark.parametrize("index", [1, 3, 4, -1])
def test_edit_and_resend_only_takes_user_messages(index):
    chat = chat_with_two_turns()
    with pytest.raises(ValueError):
        chat.edit_and_resend(index, "x")
    assert len(chat.messages) == 4


def test_empty_messages_are_refused():
    chat = chat_with_two_turns()
    with pytest.raises(ValueError):
        chat.add_user("   ")
    with pytest.raises(ValueError):
        chat.edit_and_resend(0, "")


def test_a_reply_that_never_started_is_dropped_but_a_partial_one_is_kept():
    chat = ChatConversation()
    chat.add_user("hello")
    chat.begin_reply()
    chat.end_reply(None)  # worker died before the first token
    assert [m.role for m in chat.messages] == ["user"]
    chat.begin_reply()
    chat.add_to_reply("par")
    chat.end_reply(None)
    assert [(m.role, m.content) for m in chat.messages] == [("user", "hello"), ("assistant", "par")]


def test_replies_can_only_be_written_after_begin_reply():
    chat = ChatConversation()
    chat.add_user("hello")
    with pytest.raises(ValueError):
        chat.add_to_reply("x")
    with pytest.raises(ValueError):
        chat.end_reply(None)


def test_the_first_user_message_names_the_chat_and_later_ones_do_not():
    chat = ChatConversation()
    assert chat.display_title == "New chat"
    chat.add_user("\n  How do   I bake\nbread?")
    chat.add_user("something else")
    assert chat.title == "How do I bake"
    assert chat.display_title == "How do I bake"


def test_long_titles_are_shortened():
    title = title_from("word " * 40)
    assert len(title) == TITLE_MAX_CHARS
    assert title.endswith("…")
    assert title_from("   ") == "New chat"


def test_can_regenerate_needs_a_user_message():
    chat = ChatConversation()
    assert not chat.can_regenerate
    chat.add_user("hi")
    assert chat.can_regenerate


def test_the_prompt_format_reaches_the_request_and_completion_mode_sends_the_transcript():
    chat = ChatConversation(system_prompt="A story.")
    chat.add_user("Once upon a time")
    chat.prompt_format = "gemma"
    request = chat.request()
    assert request.messages is not None and request.chat_template == "gemma"

    chat.prompt_format = COMPLETION
    chat.begin_reply()
    chat.add_to_reply(" there was a fox.")
    chat.end_reply({"n_gen": 5})
    chat.add_user(" The fox")
    request = chat.request()
    assert request.messages is None
    assert request.prompt == "A story.\n\nOnce upon a time there was a fox. The fox"

    chat.add_user("", images=[Image(data=b"png", name="a.png")])
    with pytest.raises(ValueError, match="images need a chat template"):
        chat.request()

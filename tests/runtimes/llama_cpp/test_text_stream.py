from runtimes.llama_cpp.text_stream import StopStringStream


def feed_all(stream: StopStringStream, pieces: list[bytes]) -> str:
    return "".join(stream.feed(p) for p in pieces) + stream.flush()


def test_plain_text_passes_through():
    assert feed_all(StopStringStream([]), [b"Hel", b"lo"]) == "Hello"


def test_split_utf8_character_is_held_until_complete():
    stream = StopStringStream([])
    euro = "€".encode()
    assert stream.feed(euro[:1]) == ""
    assert stream.feed(euro[1:]) == "€"


def test_stop_string_spanning_tokens_is_cut_and_never_shown():
    stream = StopStringStream(["</s>"])
    shown = [stream.feed(p) for p in (b"answer<", b"/", b"s> more")]
    assert "".join(shown) == "answer"
    assert stream.stopped
    assert stream.flush() == ""


def test_partial_stop_prefix_is_released_when_it_does_not_complete():
    stream = StopStringStream(["STOP"])
    assert stream.feed(b"go ST") == "go "
    assert stream.feed(b"ART") == "START"
    assert not stream.stopped

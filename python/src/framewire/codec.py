"""The Framewire codec, in one import: framings, limits, the decoder and the encoder.

API summary:

    from framewire.codec import Decoder, Encoder, Framing, Limits
    from framewire.events import Message

    encoder = Encoder(Framing.DELIMITED, checksum=True, max_frame_size=256)
    wire = encoder.encode(Message(0x40, b"hello", flags=3))
    decoder = Decoder(Framing.DELIMITED, Limits(max_frame_size=256))
    decoder.feed(wire)
    decoder.feed_eof()
    assert list(decoder.events()) == [Message(0x40, b"hello", 3)]

See `framewire.decoder` and `framewire.encoder` for the details of each side, and
`framewire.framing` for `Framing` and `Limits`.
"""

from framewire.decoder import Decoder, DecoderEvent
from framewire.encoder import Encoder, MessageWriter
from framewire.framing import Framing, Limits

__all__ = ["Decoder", "DecoderEvent", "Encoder", "Framing", "Limits", "MessageWriter"]

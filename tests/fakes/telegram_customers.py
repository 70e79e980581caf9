"""What a customer can send the fake Bot API besides text and a photo, shaped like Telegram's own objects
(https://core.telegram.org/bots/api#message, #document, #contact, #voice, #videonote, #sticker): documents, shared
contacts, voice and video notes, albums (photos sharing a media_group_id, the caption on one of them), stickers and
edits (an `edited_message` update carrying the whole message with its new text and `edit_date`)."""

from __future__ import annotations

import itertools
import time
from typing import Any

_GROUPS = itertools.count(13000000000)


class CustomerKinds:
    """Mixed into FakeTelegram: it provides `send`, `deliver`, `files`, `_file_sizes` and `_messages`."""

    files: dict[str, bytes]
    _file_sizes: dict[str, int]
    _messages: dict[tuple[int, int], dict[str, Any]]

    def _stored(self, file_id: str, data: bytes, size: int | None) -> dict[str, Any]:
        """The file as Telegram describes it; `size` pretends a bigger file than the bytes kept (20 MB tests)."""
        self.files[file_id] = data
        self._file_sizes[file_id] = size if size is not None else len(data)
        return {"file_id": file_id, "file_unique_id": f"u-{file_id}", "file_size": self._file_sizes[file_id]}

    def send_document(self, chat_id: int, file_name: str, mime_type: str, data: bytes, caption: str | None = None,
                      size: int | None = None) -> int:
        document = {**self._stored(f"doc-{file_name}", data, size), "file_name": file_name, "mime_type": mime_type}
        return self.send(chat_id, extra={"document": document, **({"caption": caption} if caption else {})})

    def send_contact(self, chat_id: int, phone_number: str, first_name: str, last_name: str | None = None,
                     user_id: int | None = None) -> int:
        """A contact shared with the button or from the address book; `user_id` is whose it is (the sender's own
        when they press "share my number"; someone else's, or none, for an address-book contact)."""
        contact: dict[str, Any] = {"phone_number": phone_number, "first_name": first_name}
        if last_name:
            contact["last_name"] = last_name
        if user_id is not None:
            contact["user_id"] = user_id
        return self.send(chat_id, extra={"contact": contact})

    def send_voice(self, chat_id: int, data: bytes, duration: int = 3, video_note: bool = False,
                   size: int | None = None) -> int:
        file = self._stored(f"{'vn' if video_note else 'voice'}-{len(self.files)}", data, size)
        if video_note:
            return self.send(chat_id, extra={"video_note": {**file, "length": 240, "duration": duration}})
        return self.send(chat_id, extra={"voice": {**file, "duration": duration, "mime_type": "audio/ogg"}})

    def send_album(self, chat_id: int, photos: list[str], caption: str | None = None,
                   caption_on: int = 0) -> list[int]:
        """Telegram delivers an album as one message per photo with a shared media_group_id."""
        group = str(next(_GROUPS))
        return [self.send(chat_id, photo=photo, caption=caption if i == caption_on else None,
                          extra={"media_group_id": group}) for i, photo in enumerate(photos)]

    def send_sticker(self, chat_id: int, emoji: str = "😍") -> int:
        sticker = {**self._stored(f"sticker-{len(self.files)}", b"RIFF fake webp", None), "type": "regular",
                   "width": 512, "height": 512, "is_animated": False, "is_video": False, "emoji": emoji}
        return self.send(chat_id, extra={"sticker": sticker})

    def edit(self, chat_id: int, message_id: int, text: str) -> int:
        """The customer edits their message `message_id` to `text`."""
        edited = {**self._messages[(chat_id, message_id)], "text": text, "edit_date": int(time.time())}
        self._messages[(chat_id, message_id)] = edited
        return self.deliver({"edited_message": edited})

"""Fixtures shared by the core tests: a small hand-written word list and a trainer on names.txt."""
import pytest

from core.data import Dataset

# 60 names, enough for the 80/10/10 split and a batch of 32 from the training windows.
SMALL_WORDS = """
emma olivia ava isabella sophia mia charlotte amelia evelyn abigail harper emily
elizabeth avery sofia ella madison scarlett victoria aria grace chloe camila penelope
riley layla lillian nora zoey mila liam noah william james logan benjamin mason elijah
oliver jacob lucas michael alexander ethan daniel matthew aiden henry joseph jackson
samuel sebastian david carter wyatt jayden john owen dylan luna
""".split()


@pytest.fixture(scope="session")
def small_words():
    return list(SMALL_WORDS)


@pytest.fixture(scope="session")
def small_dataset():
    return Dataset.from_words(list(SMALL_WORDS), 3, source="small")


@pytest.fixture
def word_file(tmp_path):
    """write(words, name=..., newline=...) -> the path of a UTF-8 word list in tmp_path."""
    def write(words, name="words.txt", newline="\n"):
        path = tmp_path / name
        path.write_bytes((newline.join(words) + newline).encode("utf-8"))
        return path
    return write

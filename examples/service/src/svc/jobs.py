"""What a job is: a file to read, and its words to count."""


def load(path: str) -> str:
    with open(path) as job:  # a job whose input never comes blocks here
        return job.read()


def run_job(path: str) -> int:
    return len(load(path).split())

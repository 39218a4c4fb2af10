"""One module per lesson of the lecture; each defines LESSON and main(params)."""

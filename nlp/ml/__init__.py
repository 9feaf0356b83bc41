"""The statistical part: a token BIO tagger (scikit-learn), its data, training and safe storage."""

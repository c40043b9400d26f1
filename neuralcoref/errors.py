"""Error and warning messages, spaCy style: one registry, one code per message."""


class ErrorsWithCodes(type):
    def __getattribute__(self, code):
        msg = super().__getattribute__(code)
        if code.startswith("__"):
            return msg
        return f"[{code}] {msg}"


class Warnings(metaclass=ErrorsWithCodes):
    W001 = (
        "The coreference model was trained with the spaCy pipeline '{trained}', "
        "but it runs after '{current}'. Its context features come from that pipeline's "
        "tok2vec, so accuracy may be lower."
    )
    W002 = "Document of {n_tokens} tokens has no dependency parse: neuralcoref left it without coreference annotation."
    W003 = (
        "The coreference model reads doc.tensor rows of width {expected} (from the pipeline "
        "'{pipeline}'), but this Doc's tensor has width {found}: neuralcoref resolves it "
        "without those context features (zeros), so expect lower accuracy. Run it after the "
        "pipeline the model was trained with for full accuracy."
    )
    W004 = (
        "The coreference model reads doc.tensor rows of width {expected} (from the pipeline "
        "'{pipeline}'), but this Doc's tensor has width {found}: neuralcoref resolves it with "
        "the model's fallback, which reads no doc.tensor and is a little less accurate (see "
        "the model card). Run it after the pipeline the model was trained with for full accuracy."
    )


class Errors(metaclass=ErrorsWithCodes):
    E001 = (
        "neuralcoref {version} was built for spaCy {supported}, but spaCy {installed} "
        "is installed. Install a spaCy in that range, or reinstall neuralcoref so it "
        "is rebuilt against this spaCy: pip install --force-reinstall --no-cache-dir neuralcoref"
    )
    E002 = (
        "neuralcoref's extensions were compiled against spaCy {built}, but spaCy "
        "{installed} is installed and its C layout (TokenC) differs: {detail}. Reinstall "
        "neuralcoref so it is rebuilt against the installed spaCy."
    )
    E010 = "Rule set for language '{lang}' needs a non-empty '{field}'."
    E011 = (
        "No neuralcoref mention rules for language '{lang}'. Languages with rules: "
        "{available}. See 'Adding a language' in the README."
    )
    E012 = (
        "Rule set for language '{lang}': {field}['{word}'] is {value!r}; genders are "
        "'Masc' or 'Fem' (Token.morph's values)."
    )
    E020 = (
        "The 'neuralcoref' component needs a dependency parse, but the pipeline "
        "{pipe_names} has no component that sets it (no 'parser'). Add a parser, e.g. "
        "use a trained pipeline such as en_core_web_sm."
    )
    E021 = (
        "The Doc given to 'neuralcoref' has no dependency parse ({n_tokens} tokens). "
        "It was probably made with nlp.make_doc() or a pipeline whose parser is disabled, "
        "or 'neuralcoref' runs before the parser (added with before= or first=): call "
        "nlp(text), run the parser first, or add the component after the parser "
        "(nlp.add_pipe('neuralcoref') puts it last)."
    )
    E022 = (
        "neuralcoref has no model for language '{lang}'. Models shipped with the "
        "package: {available}. Train one (see 'Adding a language' in the README) and "
        "pass its path as the 'model' setting."
    )
    E030 = "Cannot read the coreference model '{path}': {reason}"
    E031 = (
        "The coreference model '{path}' has format version {found}, but this "
        "neuralcoref reads version {expected}. {hint}"
    )
    E032 = (
        "The coreference model '{path}' was trained with feature layout {found}, but "
        "this neuralcoref extracts layout {expected}: retrain it with this version."
    )
    E033 = "The coreference model '{path}' is for language '{found}', but the pipeline's language is '{expected}'."
    E034 = "The coreference model '{path}' is missing the weight '{name}' or it has the wrong shape ({detail})."
    E040 = (
        "Speakers must be given one per token ({n_tokens} tokens, got {n_speakers}) or "
        "as (start_token, end_token, speaker) utterances."
    )
    E041 = "Utterance ({start}, {end}) is outside the Doc of {n_tokens} tokens."
    E050 = "conv_dict values must be lists of words, got {value!r} for '{key}'."
    E060 = "max_history_tokens must be an integer >= 0, got {value!r}."
    E061 = "A speaker must be a string (or None for the default), got {type}."
    E062 = "A turn must be a string or a Doc of the pipeline's Vocab, got {type}."
    E063 = (
        "The turn has {length} characters, more than nlp.max_length ({max_length}): nothing was added. "
        "Split it into several turns, or raise nlp.max_length if the memory allows."
    )
    E064 = "The turn is empty or only whitespace: nothing was added."
    E065 = (
        "A Conversation needs a pipeline with the 'neuralcoref' component, but the pipeline has "
        "{pipe_names}: call nlp.add_pipe('neuralcoref') first."
    )
    E066 = "speakers_names must map each speaker (a string) to a list of names (non-empty strings), got {value!r}."
    E067 = (
        'Utterance {index}: {reason}. Utterances are {{"speaker": str or null, "text": str}} objects '
        "or (speaker, text) pairs."
    )
    E068 = "Turn ends must be ascending token offsets within 0..{n_tokens} (the Doc's length), got {ends}."
    E070 = (
        "NeuralCoref(nlp.vocab, ...) is NeuralCoref 4's API (spaCy 2). With spaCy 3, add the "
        'component by name: nlp.add_pipe("neuralcoref", config={config}) (or '
        'neuralcoref.add_to_pipe(nlp, ...)). See docs/migrating.md, "Migrating from NeuralCoref 4".'
    )

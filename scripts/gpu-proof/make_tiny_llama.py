"""Builds a small random-initialised Llama-architecture model and a tokenizer made on the spot, saved as safetensors.

The tokenizer is a byte-level BPE trained on the texts of the request file it is given (so it covers GSM8K and
TruthfulQA prompts), with BOS added to every encoded text as Llama's tokenizer does. The model's weights are drawn
from a fixed seed. Usage: python make_tiny_llama.py <requests.jsonl> <out dir> [--size tiny|small] [--max-positions N]
"""

import argparse
import json
import os


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("requests")
    parser.add_argument("out")
    parser.add_argument("--size", choices=["tiny", "small"], default="small")
    parser.add_argument("--max-positions", type=int, default=4096)
    args = parser.parse_args()

    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    texts = []
    with open(args.requests, encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                texts.append(json.loads(line)["body"]["prompt"])
    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=1024 if args.size == "tiny" else 4096,
        special_tokens=["<unk>", "<s>", "</s>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    bpe.train_from_iterator(texts, trainer=trainer)
    bpe.post_processor = processors.TemplateProcessing(single="<s> $A", pair="<s> $A <s> $B", special_tokens=[("<s>", 1)])
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=bpe, bos_token="<s>", eos_token="</s>", unk_token="<unk>")

    torch.manual_seed(20261203)
    dims = dict(hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2)
    if args.size == "small":
        dims = dict(hidden_size=512, intermediate_size=1376, num_hidden_layers=8, num_attention_heads=8, num_key_value_heads=4)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        max_position_embeddings=args.max_positions,
        bos_token_id=1,
        eos_token_id=2,
        tie_word_embeddings=False,
        **dims,
    )
    model = LlamaForCausalLM(config)
    # A wider spread than the default init, so that the argmax is far from ties and outputs are not all one token.
    with torch.no_grad():
        for p in model.parameters():
            if p.dim() > 1:
                p.normal_(0.0, 0.08)
    os.makedirs(args.out, exist_ok=True)
    model.save_pretrained(args.out, safe_serialization=True)
    tokenizer.save_pretrained(args.out)
    print(json.dumps({"model": args.out, "parameters": sum(p.numel() for p in model.parameters()), "vocab": len(tokenizer)}))


if __name__ == "__main__":
    main()

"""Quantization recipes: rules, presets, the user's saved ones, and a real llama-quantize run."""

from __future__ import annotations

import gguf
import pytest

from app.cli.main import main
from app.compare.variant_label import variant_label, with_recipes
from app.errors import RecipeError
from app.quantize.job import quantize_many
from app.quantize.recipe_store import all_recipes, delete_recipe, find_recipe, recipe_from_arg, save_recipe
from app.quantize.recipes import NAME_KEY, PRESETS, RULES_KEY, Recipe, parse_rules
from runtimes.llama_cpp.native_build import find_tool


def _types(path) -> dict[str, str]:
    return {t.name: t.tensor_type.name for t in gguf.GGUFReader(path).tensors}


def _field(path, key):
    found = gguf.GGUFReader(path).get_field(key)
    return None if found is None else found.contents()


def test_steps_up_the_ladder_from_the_base_type():
    recipe = Recipe("r", (("attn_v", "+2"), ("attn_", "+1"), ("^output\\.weight", "Q8_0")))
    assert recipe.resolve("Q4_K_M") == [("attn_v", "q6_K"), ("attn_", "q5_K"), ("^output\\.weight", "q8_0")]
    assert recipe.resolve("Q6_K")[1] == ("attn_", "q8_0")
    assert recipe.resolve("Q8_0")[0] == ("attn_v", "f16")  # the top of the ladder


def test_bad_rules_are_named():
    with pytest.raises(RecipeError, match="q9_9"):
        Recipe("r", (("attn_", "q9_9"),))
    with pytest.raises(RecipeError, match="TENSOR_PATTERN=TYPE"):
        parse_rules("attn_q8_0")
    with pytest.raises(RecipeError, match="bad tensor pattern"):
        Recipe("r", (("attn_(", "q8_0"),))
    with pytest.raises(RecipeError, match="recipe name"):
        Recipe("no spaces", (("attn_", "q8_0"),))
    with pytest.raises(RecipeError, match="too long"):
        Recipe("r", tuple((f"blk\\.{i}\\.attn_output_with_a_long_name", "q8_0") for i in range(6))).metadata("Q4_K_M")


def test_user_recipes_are_saved_listed_and_deleted(tmp_path):
    store = tmp_path / "recipes.json"
    save_recipe(Recipe("mine", parse_rules("ffn_down=+1, ^output\\.weight=q6_K"), "my mix"), store)
    assert find_recipe("mine", store).rules == (("ffn_down", "+1"), ("^output\\.weight", "q6_K"))
    assert [r.name for r in all_recipes(store)] == [*(p.name for p in PRESETS), "mine"]
    with pytest.raises(RecipeError, match="preset"):
        save_recipe(Recipe("quality", (("attn_", "+1"),)), store)
    delete_recipe("mine", store)
    with pytest.raises(RecipeError, match="no recipe named 'mine'"):
        find_recipe("mine", store)
    assert recipe_from_arg("attn_=+1", store).name == "custom"


def test_a_broken_store_is_reported_not_ignored(tmp_path):
    store = tmp_path / "recipes.json"
    store.write_text("{not json")
    with pytest.raises(RecipeError, match="not a readable recipe list"):
        all_recipes(store)


@pytest.fixture(scope="module")
def quantize_tool():
    if find_tool("llama-quantize") is None:
        pytest.skip("needs llama.cpp's llama-quantize (scripts/setup.sh builds it)")


def test_recipe_sets_the_named_tensors_and_leaves_the_rest(quantize_tool, demo_ladder, tmp_path):
    recipe = Recipe("lab", parse_rules("^output\\.weight=q8_0,^token_embd\\.=q8_0,attn_=+1"))
    made = quantize_many(demo_ladder["F32"], ["Q4_K_M"], tmp_path, recipe=recipe)[0]
    plain = quantize_many(demo_ladder["F32"], ["Q4_K_M"], tmp_path)[0]
    assert made.name == "workbench-tiny-Q4_K_M-lab.gguf"
    types, base = _types(made), _types(plain)
    assert types["output.weight"] == "Q8_0" and types["token_embd.weight"] == "Q8_0"
    attention = [n for n in types if ".attn_" in n and not n.endswith("norm.weight")]
    assert len(attention) == 16 and {types[n] for n in attention} == {"Q5_K"}
    others = [n for n in types if n not in attention and n not in ("output.weight", "token_embd.weight")]
    assert others and all(types[n] == base[n] for n in others)
    assert _field(made, NAME_KEY) == "lab"
    assert _field(made, RULES_KEY) == "Q4_K_M ^output\\.weight=q8_0,^token_embd\\.=q8_0,attn_=q5_K"
    assert _field(plain, NAME_KEY) is None
    assert not list(tmp_path.glob("*.part"))
    shown = with_recipes([{"file": str(made), "quant": "Q4_K_M"}, {"file": str(plain), "quant": "Q4_K_M"}])
    assert [variant_label(r) for r in shown] == ["Q4_K_M+lab", "Q4_K_M"]
    assert shown[0]["recipe_rules"].startswith("Q4_K_M ^output")


def test_cli_saves_a_recipe_and_quantizes_with_it(quantize_tool, demo_ladder, tmp_path, capsys):
    assert main(["quantize", "--recipe", "ffn_down=q8_0", "--save-recipe", "down8"]) == 0
    assert main(["quantize", str(demo_ladder["F32"]), "--to", "Q3_K_S", "--recipe", "down8",
                 "-o", str(tmp_path)]) == 0
    made = tmp_path / "workbench-tiny-Q3_K_S-down8.gguf"
    types = _types(made)
    assert {types[f"blk.{i}.ffn_down.weight"] for i in range(4)} == {"Q8_0"}
    assert main(["quantize", "--list-recipes"]) == 0
    assert "down8" in capsys.readouterr().out

"""Choose a quantization recipe for "Make quants…": none, a shipped preset, one of the
user's saved recipes, or custom rules (``^output\\.weight=q8_0,attn_=+1``) that can be
saved under a name for next time (app.quantize.recipe_store)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QInputDialog, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from app.errors import RecipeError
from app.quantize.recipe_store import all_recipes, save_recipe
from app.quantize.recipes import Recipe, parse_rules
from ui.common.transfer_text import error_text

NONE, CUSTOM = "None (standard mix)", "Custom rules…"


class RecipePicker(QWidget):
    """Public hooks (tests): ``combo``, ``rules_edit``, ``save_button``, ``note``; ``recipe()`` (raises
    RecipeError on bad custom rules), ``save(name)``."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.combo = QComboBox()
        self.rules_edit = QLineEdit(placeholderText="e.g. ^output\\.weight=q8_0, ^token_embd\\.=q8_0, attn_=+1")
        self.rules_edit.setToolTip("TENSOR_PATTERN=TYPE, as llama-quantize --tensor-type; +N means N steps up "
                                   "from the chosen type. The first matching rule wins.")
        self.save_button = QPushButton("Save as…")
        self.note = QLabel(wordWrap=True, objectName="statsLine")
        self.save_button.clicked.connect(self._ask_name)
        self.combo.currentIndexChanged.connect(self._update)
        self.rules_edit.textChanged.connect(lambda _t: self.changed.emit())
        row = QHBoxLayout()
        row.addWidget(self.rules_edit, 1)
        row.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.combo)
        layout.addLayout(row)
        layout.addWidget(self.note)
        self.reload()

    def reload(self, select: str | None = None) -> None:
        self.combo.blockSignals(True)
        self.combo.clear()
        self.combo.addItem(NONE, None)
        try:
            recipes = all_recipes()
        except RecipeError as exc:  # a broken store: the presets still work, and the user is told
            from app.quantize.recipes import PRESETS

            recipes = list(PRESETS)
            self.note.setText(error_text(exc))
        for recipe in recipes:
            self.combo.addItem(recipe.name, recipe)
            self.combo.setItemData(self.combo.count() - 1, f"{recipe.text()}\n{recipe.description}".strip(),
                                   Qt.ItemDataRole.ToolTipRole)
        self.combo.addItem(CUSTOM, "custom")
        if select is not None:
            self.combo.setCurrentIndex(max(0, self.combo.findText(select)))
        self.combo.blockSignals(False)
        self._update()

    def recipe(self) -> Recipe | None:
        data = self.combo.currentData()
        if data == "custom":
            return Recipe("custom", parse_rules(self.rules_edit.text()))
        return data

    def save(self, name: str) -> Recipe:
        recipe = Recipe(name, parse_rules(self.rules_edit.text()))
        save_recipe(recipe)
        self.reload(select=name)
        return recipe

    def _update(self) -> None:
        custom = self.combo.currentData() == "custom"
        self.rules_edit.setVisible(custom)
        self.save_button.setVisible(custom)
        recipe = self.combo.currentData()
        self.note.setText((recipe.description or recipe.text()) if isinstance(recipe, Recipe) else "")
        self.changed.emit()

    def _ask_name(self) -> None:
        name, ok = QInputDialog.getText(self, "Save recipe", "Name (letters, digits, - _ .):")
        if not ok or not name.strip():
            return
        try:
            self.save(name.strip())
        except RecipeError as exc:
            self.note.setText(error_text(exc))

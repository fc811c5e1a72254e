/** Descriptor (pure, treeItems.ts) -> vscode.TreeItem. */
import * as vscode from 'vscode';
import type { ItemDescriptor } from './treeItems';

const COLLAPSIBLE = {
  none: vscode.TreeItemCollapsibleState.None,
  collapsed: vscode.TreeItemCollapsibleState.Collapsed,
  expanded: vscode.TreeItemCollapsibleState.Expanded,
} as const;

export function toTreeItem(d: ItemDescriptor): vscode.TreeItem {
  const item = new vscode.TreeItem(d.label, COLLAPSIBLE[d.collapsible]);
  item.id = d.id;
  item.description = d.description;
  item.tooltip = d.tooltip;
  item.contextValue = d.contextValue;
  if (d.icon) item.iconPath = new vscode.ThemeIcon(d.icon.id, d.icon.color ? new vscode.ThemeColor(d.icon.color) : undefined);
  if (d.command) item.command = d.command;
  return item;
}

package workflows

import (
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
)

// Search attributes an engineer filters on in the Temporal UI, e.g.
//
//	HookflowSource = "stripe" AND HookflowScore >= 0.8
//
// The dev server registers them at start (scripts/stack.sh) and `hookflow
// serve` registers any that are missing on other servers.
var (
	SourceKey    = temporal.NewSearchAttributeKeyKeyword("HookflowSource")
	EventTypeKey = temporal.NewSearchAttributeKeyKeyword("HookflowEventType")
	ScoreKey     = temporal.NewSearchAttributeKeyFloat64("HookflowScore")
	LaneKey      = temporal.NewSearchAttributeKeyKeyword("HookflowLane")
	ActionsKey   = temporal.NewSearchAttributeKeyKeywordList("HookflowActions")
	StatusKey    = temporal.NewSearchAttributeKeyKeyword("HookflowStatus")
)

// SearchAttributes lists every key with its Temporal type.
func SearchAttributes() map[string]enumspb.IndexedValueType {
	return map[string]enumspb.IndexedValueType{
		SourceKey.GetName():    enumspb.INDEXED_VALUE_TYPE_KEYWORD,
		EventTypeKey.GetName(): enumspb.INDEXED_VALUE_TYPE_KEYWORD,
		ScoreKey.GetName():     enumspb.INDEXED_VALUE_TYPE_DOUBLE,
		LaneKey.GetName():      enumspb.INDEXED_VALUE_TYPE_KEYWORD,
		ActionsKey.GetName():   enumspb.INDEXED_VALUE_TYPE_KEYWORD_LIST,
		StatusKey.GetName():    enumspb.INDEXED_VALUE_TYPE_KEYWORD,
	}
}

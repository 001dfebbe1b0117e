package activities

import (
	"github.com/hookflow/hookflow/envelope"
)

// Slack sends three shapes to one request URL, all read through
// envelope.Document:
//
//   - Events API callbacks, JSON {"type":"event_callback","event":{…}}: the
//     envelope type is the inner event's (app_mention, member_left_channel);
//   - interactivity, a form whose payload field holds JSON {"type":"block_actions",…};
//   - slash commands, form fields (command, text, user_id, channel_id, …):
//     type "slash_command", the command kept as an attribute.
//
// Message text is never copied into the envelope: it stays in the payload.
func normalizeSlack(_ envelope.Raw, d doc, env *envelope.Envelope) {
	switch {
	case d.at("type").str() == "event_callback":
		ev := d.at("event")
		env.EventType = ev.at("type").str()
		if t, ok := d.at("event_time").unix(); ok {
			env.OccurredAt = t
		}
		env.Subject = ev.first("channel", "channel.id", "item.channel")
		env.Account = d.first("team_id", "enterprise_id")
		env.Actor = ev.first("user", "user.id", "bot_id")
		bot := ""
		if ev.at("bot_id").str() != "" {
			bot = "true"
		}
		env.Attributes = compact(map[string]string{
			"subtype":        ev.at("subtype").str(),
			"channel_type":   ev.at("channel_type").str(),
			"bot":            bot,
			"shared_channel": d.at("is_ext_shared_channel").str(),
		})
	case d.at("command").str() != "":
		env.EventType = "slash_command"
		env.Subject = d.at("channel_id").str()
		env.Account = d.first("team_id", "enterprise_id")
		env.Actor = d.at("user_id").str()
		env.Attributes = compact(map[string]string{
			"command":      d.at("command").str(),
			"channel_name": d.at("channel_name").str(),
		})
	default: // interactivity: block_actions, view_submission, shortcut, …
		env.EventType = d.at("type").str()
		env.Subject = d.first("channel.id", "container.channel_id", "view.id")
		env.Account = d.first("team.id", "user.team_id", "enterprise.id")
		env.Actor = d.at("user.id").str()
		var actionID string
		if actions, ok := d.at("actions").v.([]any); ok && len(actions) > 0 {
			actionID = doc{actions[0]}.at("action_id").str()
		}
		env.Attributes = compact(map[string]string{
			"action_id":   actionID,
			"callback_id": d.first("view.callback_id", "callback_id"),
		})
	}
}

"""Chat channels: Telegram, Microsoft Teams, Slack, Mattermost, Discord, Google Chat, Zalo OA."""

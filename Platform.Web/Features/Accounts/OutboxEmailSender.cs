using System.Collections.Concurrent;
using Microsoft.AspNetCore.Identity;
using Platform.Data.Entities;

namespace Platform.Web.Features.Accounts;

/// <summary>
/// The email hook: confirmation and password-reset mails land here. With no mail server configured
/// the portal logs that a mail was sent (never its link, which is a credential) and keeps it in the
/// outbox, where the people page shows a one-time link to the school's admin.
/// </summary>
public sealed class OutboxEmailSender(EmailOutbox outbox, ILogger<OutboxEmailSender> logger) : IEmailSender<PlatformUser>
{
    public Task SendConfirmationLinkAsync(PlatformUser user, string email, string confirmationLink) =>
        Send(user, email, "Confirm your account", confirmationLink);

    public Task SendPasswordResetLinkAsync(PlatformUser user, string email, string resetLink) =>
        Send(user, email, "Reset your password", resetLink);

    public Task SendPasswordResetCodeAsync(PlatformUser user, string email, string resetCode) =>
        Send(user, email, "Your password reset code", resetCode);

    private Task Send(PlatformUser user, string email, string subject, string link)
    {
        outbox.Add(new OutboxMail(user.Id, email, subject, link, DateTimeOffset.UtcNow));
        logger.LogInformation("Mail '{Subject}' queued for user {UserId}", subject, user.Id);
        return Task.CompletedTask;
    }
}

public sealed record OutboxMail(Guid UserId, string To, string Subject, string Link, DateTimeOffset At);

public sealed class EmailOutbox
{
    private readonly ConcurrentQueue<OutboxMail> _mails = new();

    public void Add(OutboxMail mail) => _mails.Enqueue(mail);

    public OutboxMail? LatestFor(Guid userId, string subject) =>
        _mails.Where(m => m.UserId == userId && m.Subject == subject).OrderByDescending(m => m.At).FirstOrDefault();
}

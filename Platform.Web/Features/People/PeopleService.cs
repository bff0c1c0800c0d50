using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.EntityFrameworkCore;
using System.Text;
using Platform.Data.Entities;
using Platform.Web.Features.Accounts;
using Platform.Web.Features.Courses;
using Platform.Web.Tenancy;

namespace Platform.Web.Features.People;

public sealed record Person(Guid Id, string Name, string Email, bool IsAdmin, bool IsLockedOut, int Courses);

/// <summary>A school admin's view of the school's accounts.</summary>
public sealed class PeopleService(UserManager<PlatformUser> users, CurrentUser user, RequestTenant tenant, IEmailSender<PlatformUser> email, EmailOutbox outbox)
{
    public async Task<IReadOnlyList<Person>> ListAsync()
    {
        RequireAdmin();
        var now = DateTimeOffset.UtcNow;
        return await users.Users.OrderBy(u => u.DisplayName)
            .Select(u => new Person(u.Id, u.DisplayName, u.Email ?? "", u.IsTenantAdmin, u.LockoutEnd != null && u.LockoutEnd > now, 0))
            .ToListAsync();
    }

    /// <summary>Creates an account and mails its owner a link to choose a password; returns that link for the admin to pass on.</summary>
    public async Task<string> InviteAsync(string emailAddress, string name, bool isAdmin, string resetPageUrl)
    {
        RequireAdmin();
        var account = new PlatformUser
        {
            TenantId = tenant.TenantId,
            UserName = emailAddress.Trim(),
            Email = emailAddress.Trim(),
            DisplayName = string.IsNullOrWhiteSpace(name) ? emailAddress.Trim() : name.Trim(),
            IsTenantAdmin = isAdmin,
        };
        var result = await users.CreateAsync(account);
        if (!result.Succeeded)
            throw new InvalidInputException(string.Join(" ", result.Errors.Select(e => e.Description)));
        return await SendPasswordLinkAsync(account, resetPageUrl);
    }

    public async Task<string> SendPasswordLinkAsync(Guid userId, string resetPageUrl)
    {
        RequireAdmin();
        var account = await users.FindByIdAsync(userId.ToString()) ?? throw new NotFoundException("No such person at this school.");
        return await SendPasswordLinkAsync(account, resetPageUrl);
    }

    public async Task SetLockedAsync(Guid userId, bool locked)
    {
        RequireAdmin();
        if (userId == user.Id)
            throw new InvalidInputException("You cannot lock your own account.");
        var account = await users.FindByIdAsync(userId.ToString()) ?? throw new NotFoundException("No such person at this school.");
        await users.SetLockoutEnabledAsync(account, true);
        await users.SetLockoutEndDateAsync(account, locked ? DateTimeOffset.MaxValue : null);
        await users.UpdateSecurityStampAsync(account);
    }

    private async Task<string> SendPasswordLinkAsync(PlatformUser account, string resetPageUrl)
    {
        var token = WebEncoders.Base64UrlEncode(Encoding.UTF8.GetBytes(await users.GeneratePasswordResetTokenAsync(account)));
        var link = $"{resetPageUrl}?email={Uri.EscapeDataString(account.Email!)}&code={token}";
        await email.SendPasswordResetLinkAsync(account, account.Email!, link);
        return outbox.LatestFor(account.Id, "Reset your password")?.Link ?? link;
    }

    private void RequireAdmin()
    {
        if (!user.IsTenantAdmin)
            throw new ForbiddenException("Only the school's admins manage its people.");
    }
}

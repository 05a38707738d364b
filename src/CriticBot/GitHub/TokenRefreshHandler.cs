using System.Net;
using System.Net.Http.Headers;

namespace CriticBot.GitHub;

/// <summary>
/// An installation token GitHub refuses (401: revoked, or expired early) is dropped, a fresh one is fetched,
/// and the request is sent once more: one refused request must not cost a whole review (and its model calls).
/// </summary>
internal sealed class TokenRefreshHandler(InstallationTokenProvider tokens, long installationId) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        // Buffered first, so the same body can go out twice (Octokit sends small JSON bodies).
        var body = request.Content is null ? null : await request.Content.ReadAsByteArrayAsync(cancellationToken);
        var response = await base.SendAsync(request, cancellationToken);
        if (response.StatusCode != HttpStatusCode.Unauthorized || request.Headers.Authorization is not { Parameter: { } refused } authorization)
        {
            return response;
        }

        tokens.Invalidate(installationId);
        var fresh = await tokens.GetTokenAsync(installationId, cancellationToken);
        if (fresh == refused)
        {
            return response;
        }

        using var retry = new HttpRequestMessage(request.Method, request.RequestUri) { Version = request.Version };
        foreach (var header in request.Headers)
        {
            retry.Headers.TryAddWithoutValidation(header.Key, header.Value);
        }

        retry.Headers.Authorization = new AuthenticationHeaderValue(authorization.Scheme, fresh);
        if (body is not null)
        {
            retry.Content = new ByteArrayContent(body);
            foreach (var header in request.Content!.Headers)
            {
                retry.Content.Headers.TryAddWithoutValidation(header.Key, header.Value);
            }
        }

        response.Dispose();
        return await base.SendAsync(retry, cancellationToken);
    }
}

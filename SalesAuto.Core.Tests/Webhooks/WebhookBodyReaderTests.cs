using Microsoft.AspNetCore.Http;
using SalesAuto.Core.Tests.Infrastructure;
using SalesAuto.Core.Webhooks;

namespace SalesAuto.Core.Tests.Webhooks;

public sealed class WebhookBodyReaderTests
{
    private const int Limit = 64 * 1024;

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("text/plain")]
    [InlineData("application/xml")]
    [InlineData("application/x-www-form-urlencoded")]
    [InlineData("multipart/form-data; boundary=x")]
    [InlineData("application/jsonp")]
    [InlineData("text/json+xml")]
    [InlineData("json")]
    [InlineData(";;;")]
    public async Task ReadAsync_ReturnsUnsupportedMediaType_WhenContentTypeIsNotJson(string? contentType)
    {
        var request = Request(contentType, new FailingStream());

        var result = await WebhookBodyReader.ReadAsync(request, Limit, TestContext.Token);

        Assert.Equal(BodyReadStatus.UnsupportedMediaType, result.Status);
        Assert.True(result.Body.IsEmpty);
        Assert.Equal(string.IsNullOrEmpty(contentType) ? null : contentType, string.IsNullOrEmpty(result.ContentType) ? null : result.ContentType);
    }

    [Theory]
    [InlineData("application/json")]
    [InlineData("application/json; charset=utf-8")]
    [InlineData("Application/JSON; Charset=UTF-8")]
    [InlineData("application/cloudevents+json")]
    [InlineData("application/vnd.hubspot.webhook+json; charset=utf-8")]
    public async Task ReadAsync_ReturnsTheBody_WhenContentTypeIsJson(string contentType)
    {
        var bytes = """[{"eventId":1}]"""u8.ToArray();
        var request = Request(contentType, new MemoryStream(bytes));

        var result = await WebhookBodyReader.ReadAsync(request, Limit, TestContext.Token);

        Assert.Equal(BodyReadStatus.Ok, result.Status);
        Assert.Equal(bytes, result.Body.ToArray());
        Assert.Equal(contentType, result.ContentType);
    }

    [Fact]
    public async Task ReadAsync_ReturnsTooLarge_WithoutReading_WhenContentLengthIsOverTheLimit()
    {
        var request = Request("application/json", new FailingStream());
        request.ContentLength = Limit + 1;

        var result = await WebhookBodyReader.ReadAsync(request, Limit, TestContext.Token);

        Assert.Equal(BodyReadStatus.TooLarge, result.Status);
    }

    [Fact]
    public async Task ReadAsync_StopsAtTheLimit_WhenAnUndeclaredBodyNeverEnds()
    {
        var stream = new EndlessStream(chunk: 4096);
        var request = Request("application/json", stream);

        var result = await WebhookBodyReader.ReadAsync(request, Limit, TestContext.Token);

        Assert.Equal(BodyReadStatus.TooLarge, result.Status);
        // The reader never asks for more than one byte past the limit.
        Assert.InRange(stream.BytesRead, Limit + 1, Limit + 1);
    }

    [Fact]
    public async Task ReadAsync_StopsAtTheLimit_WhenContentLengthUnderstatesTheBody()
    {
        var stream = new EndlessStream(chunk: 1000);
        var request = Request("application/json", stream);
        request.ContentLength = 10;

        var result = await WebhookBodyReader.ReadAsync(request, Limit, TestContext.Token);

        Assert.Equal(BodyReadStatus.TooLarge, result.Status);
        Assert.InRange(stream.BytesRead, Limit + 1, Limit + 1);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ReadAsync_ReturnsTheBody_WhenItIsExactlyAtTheLimit(bool declared)
    {
        var bytes = new byte[Limit];
        Random.Shared.NextBytes(bytes);
        var request = Request("application/json", new TrickleStream(bytes, chunk: 3000));
        request.ContentLength = declared ? Limit : null;

        var result = await WebhookBodyReader.ReadAsync(request, Limit, TestContext.Token);

        Assert.Equal(BodyReadStatus.Ok, result.Status);
        Assert.Equal(bytes, result.Body.ToArray());
    }

    [Fact]
    public async Task ReadAsync_ReturnsTooLarge_WhenOneByteOverTheLimit()
    {
        var request = Request("application/json", new TrickleStream(new byte[Limit + 1], chunk: 7));

        var result = await WebhookBodyReader.ReadAsync(request, Limit, TestContext.Token);

        Assert.Equal(BodyReadStatus.TooLarge, result.Status);
    }

    [Fact]
    public async Task ReadAsync_ReturnsAnEmptyBody_WhenNothingWasSent()
    {
        var request = Request("application/json", new MemoryStream());
        request.ContentLength = 0;

        var result = await WebhookBodyReader.ReadAsync(request, Limit, TestContext.Token);

        Assert.Equal(BodyReadStatus.Ok, result.Status);
        Assert.True(result.Body.IsEmpty);
    }

    [Fact]
    public async Task ReadAsync_ReturnsTooLarge_WhenTheServersOwnLimitIsPassedFirst()
    {
        var request = Request("application/json", new FailingStream(new BadHttpRequestException("Request body too large.", StatusCodes.Status413PayloadTooLarge)));

        var result = await WebhookBodyReader.ReadAsync(request, Limit, TestContext.Token);

        Assert.Equal(BodyReadStatus.TooLarge, result.Status);
    }

    private static HttpRequest Request(string? contentType, Stream body)
    {
        var request = new DefaultHttpContext().Request;
        request.Method = "POST";
        if (contentType is not null)
        {
            request.ContentType = contentType;
        }

        request.Body = body;
        return request;
    }

    /// <summary>A body that fails the test if anyone reads it.</summary>
    private sealed class FailingStream(Exception? error = null) : ReadOnlyStream
    {
        public override int Read(byte[] buffer, int offset, int count) =>
            throw error ?? new Xunit.Sdk.XunitException("The body was read although it should not have been.");
    }

    /// <summary>An endless body served at most <c>chunk</c> bytes per read, counting what it gave.</summary>
    private sealed class EndlessStream(int chunk) : ReadOnlyStream
    {
        public long BytesRead { get; private set; }

        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = Math.Min(count, chunk);
            buffer.AsSpan(offset, n).Fill((byte)' ');
            BytesRead += n;
            if (BytesRead > 10L * Limit)
            {
                throw new Xunit.Sdk.XunitException($"The reader went on to {BytesRead} bytes, far past the limit of {Limit}.");
            }

            return n;
        }
    }

    /// <summary>A finite body served in small pieces, as a chunked upload arrives.</summary>
    private sealed class TrickleStream(byte[] content, int chunk) : ReadOnlyStream
    {
        private int _position;

        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = Math.Min(Math.Min(count, chunk), content.Length - _position);
            content.AsSpan(_position, n).CopyTo(buffer.AsSpan(offset));
            _position += n;
            return n;
        }
    }

    private abstract class ReadOnlyStream : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}

<?xml version="1.0" encoding="UTF-8"?>
<xsl:stylesheet xmlns:xsl="http://www.w3.org/1999/XSL/Transform" version="1.0">
    <xsl:template match="/">
        <html>
            <meta http-equiv="refresh" content="0; URL=../ver20/util/federated_search_documentation.html"/>
        </html>
    </xsl:template>
</xsl:stylesheet>
